#!/usr/bin/env node
// Writes the npm packages of one release, ready for `npm pack` or `npm publish`:
//   node npm/generate.js OUT                                  the main package only
//   node npm/generate.js OUT --target TRIPLE --binary PATH    and the platform package of TRIPLE
// The main package `apify-webhooks` (the shim in npm/apify-webhooks/bin and the README) lists
// one platform package per release target as optionalDependencies; npm installs the one whose
// `os`, `cpu` and `libc` match, the way Biome and esbuild ship native binaries. Every version
// is the crate's, read from Cargo.toml. Prints the package directories it wrote, one a line.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const repo = path.resolve(__dirname, "..");
const repository = {
  type: "git",
  url: "git+https://github.com/apify-webhooks/apify-webhooks.git",
};

// The release targets (release.yml builds exactly these) and, for the test suite and local
// packaging, the glibc hosts. The Linux release binaries are static musl executables: they run
// on glibc and musl systems alike, so their packages accept both.
const TARGETS = {
  "x86_64-unknown-linux-musl": { os: "linux", cpu: "x64", libc: ["glibc", "musl"], release: true },
  "aarch64-unknown-linux-musl": { os: "linux", cpu: "arm64", libc: ["glibc", "musl"], release: true },
  "x86_64-apple-darwin": { os: "darwin", cpu: "x64", release: true },
  "aarch64-apple-darwin": { os: "darwin", cpu: "arm64", release: true },
  "x86_64-pc-windows-msvc": { os: "win32", cpu: "x64", release: true },
  "x86_64-unknown-linux-gnu": { os: "linux", cpu: "x64", libc: ["glibc"], release: false },
  "aarch64-unknown-linux-gnu": { os: "linux", cpu: "arm64", libc: ["glibc"], release: false },
};

function crate() {
  const toml = fs.readFileSync(path.join(repo, "Cargo.toml"), "utf8");
  const section = toml.split(/^\[(?!package\])/m)[0];
  const field = (name) => {
    const m = section.match(new RegExp(`^${name} = "([^"]*)"$`, "m"));
    if (!m) {
      throw new Error(`Cargo.toml has no package.${name}`);
    }
    return m[1];
  };
  return { version: field("version"), description: field("description"), license: field("license") };
}

function platformName(target) {
  const t = TARGETS[target];
  return `${t.os}-${t.cpu}`;
}

// The README's relative links (docs/, examples/) point into the repository: on npmjs.com
// they must name it.
function absoluteLinks(markdown) {
  return markdown.replace(/\]\((?!https?:\/\/|#|mailto:)([^)\s]+)\)/g, "](https://github.com/apify-webhooks/apify-webhooks/blob/main/$1)");
}

function writeJson(file, value) {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function mainPackage(out, meta) {
  const dir = path.join(out, "apify-webhooks");
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.copyFileSync(path.join(__dirname, "apify-webhooks/bin/apify-webhooks.js"), path.join(dir, "bin/apify-webhooks.js"));
  fs.chmodSync(path.join(dir, "bin/apify-webhooks.js"), 0o755);
  fs.writeFileSync(path.join(dir, "README.md"), absoluteLinks(fs.readFileSync(path.join(repo, "README.md"), "utf8")));
  const optionalDependencies = {};
  for (const [target, t] of Object.entries(TARGETS)) {
    if (t.release) {
      optionalDependencies[`@apify-webhooks/${platformName(target)}`] = meta.version;
    }
  }
  writeJson(path.join(dir, "package.json"), {
    name: "apify-webhooks",
    version: meta.version,
    description: meta.description,
    license: meta.license,
    repository,
    homepage: "https://github.com/apify-webhooks/apify-webhooks#readme",
    keywords: ["apify", "webhooks", "gitops", "infrastructure-as-code", "cli"],
    bin: { "apify-webhooks": "bin/apify-webhooks.js" },
    files: ["bin/apify-webhooks.js", "README.md"],
    engines: { node: ">=18" },
    optionalDependencies,
  });
  return dir;
}

function platformPackage(out, meta, target, binary) {
  const t = TARGETS[target];
  if (!t) {
    throw new Error(`no npm platform for target ${target} (known: ${Object.keys(TARGETS).join(", ")})`);
  }
  const name = platformName(target);
  const exe = t.os === "win32" ? "apify-webhooks.exe" : "apify-webhooks";
  const dir = path.join(out, name);
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.copyFileSync(binary, path.join(dir, "bin", exe));
  fs.chmodSync(path.join(dir, "bin", exe), 0o755);
  fs.writeFileSync(
    path.join(dir, "README.md"),
    `# @apify-webhooks/${name}\n\nThe \`apify-webhooks\` binary for ${target}. Install \`apify-webhooks\` instead: it picks this package on ${t.os} ${t.cpu}.\n`,
  );
  const pkg = {
    name: `@apify-webhooks/${name}`,
    version: meta.version,
    description: `The apify-webhooks binary for ${target}`,
    license: meta.license,
    repository,
    os: [t.os],
    cpu: [t.cpu],
  };
  if (t.libc) {
    pkg.libc = t.libc;
  }
  pkg.files = [`bin/${exe}`, "README.md"];
  pkg.preferUnplugged = true;
  writeJson(path.join(dir, "package.json"), pkg);
  return dir;
}

function main(argv) {
  const args = { out: null, target: null, binary: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--target" || argv[i] === "--binary") {
      args[argv[i].slice(2)] = argv[++i];
    } else if (argv[i] === "--release-targets") {
      process.stdout.write(`${Object.keys(TARGETS).filter((t) => TARGETS[t].release).join("\n")}\n`);
      return;
    } else if (!args.out && !argv[i].startsWith("-")) {
      args.out = argv[i];
    } else {
      throw new Error(`unexpected argument ${argv[i]}`);
    }
  }
  if (!args.out || Boolean(args.target) !== Boolean(args.binary)) {
    throw new Error("usage: node npm/generate.js OUT [--target TRIPLE --binary PATH] | --release-targets");
  }
  const meta = crate();
  const dirs = [mainPackage(args.out, meta)];
  if (args.target) {
    dirs.push(platformPackage(args.out, meta, args.target, args.binary));
  }
  process.stdout.write(`${dirs.join("\n")}\n`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`npm/generate.js: ${err.message}\n`);
  process.exit(1);
}
