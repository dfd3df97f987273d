#!/usr/bin/env node
// Brings every package's dist up to date, doing only what is stale: `tsc -b` (incremental), the CommonJS
// build (rewrites changed files only) and the client's browser bundles (when a source is newer than them).
// The CommonJS and packaging tests run it first, so they never test a stale build.
// Usage: node scripts/build-packages.mjs
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const run = (...args) =>
  execFileSync(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });

const tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
run(tsc, "-b");
run(join(root, "scripts", "build-cjs.mjs"));

/** Newest modification time of the files under `dir`. */
function newest(dir) {
  let time = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    time = Math.max(time, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return time;
}

// The browser bundles hold the client, the engine's client and the protocol codec.
const client = join(root, "packages", "client");
const bundles = ["volley.js", "volley.min.js", "volley.esm.min.js"].map((f) => join(client, "dist", f));
const inputs = ["client", "engine", "protocol"].map((name) => join(root, "packages", name, "src"));
inputs.push(join(client, "scripts"));
const built = Math.min(...bundles.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
if (built < Math.max(...inputs.map(newest))) run(join(client, "scripts", "build-bundle.mjs"));
