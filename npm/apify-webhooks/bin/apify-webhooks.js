#!/usr/bin/env node
// The `apify-webhooks` command of the npm package: runs the native binary of the platform package
// that npm installed beside this one (one of this package's optionalDependencies, picked by npm
// from their `os`, `cpu` and `libc`), or the binary named by APIFY_WEBHOOKS_BINARY. No download
// happens here or at install time.
"use strict";

const { spawnSync } = require("node:child_process");
const path = require("node:path");

const exe = process.platform === "win32" ? "apify-webhooks.exe" : "apify-webhooks";
const platform = `${process.platform}-${process.arch}`;
const platformPackage = `@apify-webhooks/${platform}`;

function fail(message) {
  process.stderr.write(`apify-webhooks: ${message}\n`);
  process.exit(1);
}

function binary() {
  const override = process.env.APIFY_WEBHOOKS_BINARY;
  if (override) {
    return override;
  }
  try {
    return require.resolve(`${platformPackage}/bin/${exe}`);
  } catch {
    const own = require(path.join(__dirname, "..", "package.json"));
    const known = Object.keys(own.optionalDependencies || {}).map((name) => name.split("/")[1]);
    const why = known.includes(platform)
      ? `the platform package ${platformPackage} is not installed (was the install run with --no-optional or --omit=optional, or copied from another platform?)`
      : `there is no prebuilt binary for ${platform} (there is for: ${known.join(", ")})`;
    fail(
      `${why}.\n` +
        "Other ways to install it:\n" +
        `  - reinstall so npm picks the platform package: npm install apify-webhooks (or add ${platformPackage}@${own.version} yourself)\n` +
        "  - PyPI: pipx install apify-webhooks (or uvx apify-webhooks)\n" +
        "  - a release binary: https://github.com/apify-webhooks/apify-webhooks/releases\n" +
        "  - from source, with a Rust toolchain: cargo install --locked --git https://github.com/apify-webhooks/apify-webhooks\n" +
        "  - or point APIFY_WEBHOOKS_BINARY at an apify-webhooks binary you already have",
    );
  }
}

const bin = binary();
const result = spawnSync(bin, process.argv.slice(2), { stdio: "inherit", windowsHide: true });
if (result.error) {
  fail(`cannot run ${bin}: ${result.error.message}`);
}
if (result.signal) {
  process.kill(process.pid, result.signal);
}
process.exit(result.status ?? 1);
