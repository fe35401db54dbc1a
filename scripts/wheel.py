#!/usr/bin/env python3
"""Assembles the PyPI wheel of apify-webhooks from an already built binary.

    python3 scripts/wheel.py --binary PATH --target TRIPLE --out DIR

The wheel is what maturin's `bindings = "bin"` makes (the binary in `<name>.data/scripts/`,
no Python code), following the wheel specification (PEP 427, PEP 491): the metadata comes
from pyproject.toml ([project]) and the version from Cargo.toml, as maturin takes them. It
exists so that CI packages the binary it already built instead of compiling again; see
pyproject.toml. Prints the wheel's path. Standard library only (Python 3.11 or newer).
"""

import argparse
import base64
import hashlib
import os
import re
import sys
import zipfile
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11
    sys.exit("scripts/wheel.py needs Python 3.11 or newer (tomllib)")

REPO = Path(__file__).resolve().parent.parent

# The wheel platform tags of each target. The Linux release binaries are static musl
# executables: no libc dependency at all, so they satisfy both manylinux and musllinux.
STATIC_LINUX = "manylinux_2_17_{arch}.manylinux2014_{arch}.musllinux_1_2_{arch}"
PLATFORMS = {
    "x86_64-unknown-linux-musl": STATIC_LINUX.format(arch="x86_64"),
    "aarch64-unknown-linux-musl": STATIC_LINUX.format(arch="aarch64"),
    "x86_64-apple-darwin": "macosx_10_12_x86_64",
    "aarch64-apple-darwin": "macosx_11_0_arm64",
    "x86_64-pc-windows-msvc": "win_amd64",
}


def platform_tag(target):
    if target in PLATFORMS:
        return PLATFORMS[target]
    m = re.fullmatch(r"(x86_64|aarch64)-unknown-linux-gnu", target)
    if m:
        # A glibc build (a developer's or the test suite's): it needs at least the glibc it was
        # linked against, which is this machine's when it was built here.
        libc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
        v = re.fullmatch(r"glibc (\d+)\.(\d+)", libc or "")
        if not v:
            sys.exit(f"scripts/wheel.py: {target} on a machine without glibc")
        return f"manylinux_{v[1]}_{v[2]}_{m[1]}"
    sys.exit(f"scripts/wheel.py: no wheel platform for target {target}")


def crate_version():
    cargo = tomllib.loads((REPO / "Cargo.toml").read_text(encoding="utf-8"))
    return cargo["package"]["version"]


def metadata(project, version):
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {version}",
        f"Summary: {project['description']}",
    ]
    if project.get("keywords"):
        lines.append(f"Keywords: {','.join(project['keywords'])}")
    lines.append(f"License: {project['license']['text']}")
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Project-URL: {k}, {v}" for k, v in project.get("urls", {}).items()]
    lines.append("Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM")
    readme = (REPO / project["readme"]).read_text(encoding="utf-8")
    # Relative links (docs/, examples/) point into the repository: on PyPI they must name it.
    readme = re.sub(
        r"\]\((?!https?://|#|mailto:)([^)\s]+)\)",
        r"](https://github.com/apify-webhooks/apify-webhooks/blob/main/\1)",
        readme,
    )
    return "\n".join(lines) + "\n\n" + readme


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, type=Path)
    parser.add_argument("--target", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    version = crate_version()
    dist = project["name"].replace("-", "_")
    plat = platform_tag(args.target)
    tags = [f"py3-none-{p}" for p in plat.split(".")]
    exe = "apify-webhooks.exe" if "windows" in args.target else "apify-webhooks"
    dist_info = f"{dist}-{version}.dist-info"

    files = [
        (f"{dist}-{version}.data/scripts/{exe}", args.binary.read_bytes(), 0o755),
        (f"{dist_info}/METADATA", metadata(project, version).encode(), 0o644),
        (
            f"{dist_info}/WHEEL",
            (
                "Wheel-Version: 1.0\n"
                "Generator: apify-webhooks (scripts/wheel.py)\n"
                "Root-Is-Purelib: false\n" + "".join(f"Tag: {t}\n" for t in tags)
            ).encode(),
            0o644,
        ),
    ]
    record = "\n".join([record_line(n, d) for n, d, _ in files] + [f"{dist_info}/RECORD,,", ""])
    files.append((f"{dist_info}/RECORD", record.encode(), 0o644))

    args.out.mkdir(parents=True, exist_ok=True)
    wheel = args.out / f"{dist}-{version}-py3-none-{plat}.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in files:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    print(wheel)


if __name__ == "__main__":
    main()
