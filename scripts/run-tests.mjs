#!/usr/bin/env node
// Runs every test file of the workspace with node's own test runner, against the TypeScript sources
// (the "volley-source" export condition + tsx), so tests never depend on a stale build.
// Usage: node scripts/run-tests.mjs [path-filter ...]   e.g. `npm test -- websocket`
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const roots = ["packages", "examples", "bench"].map((d) => join(root, d)).filter(existsSync);

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.ts") && path.includes("/test/")) out.push(relative(root, path));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = roots
  .flatMap((dir) => collect(dir, []))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();

if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const tapFile = join(root, ".artifacts", `tests-${process.pid}.tap`);
mkdirSync(join(root, ".artifacts"), { recursive: true });

const result = spawnSync(
  process.execPath,
  [
    "--conditions=volley-source",
    "--import",
    "tsx",
    "--import",
    "./scripts/fast-check-seed.mjs",
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tapFile}`,
    // A guard against hangs only: no test relies on it to pass.
    "--test-timeout=120000",
    ...files,
  ],
  { cwd: root, stdio: "inherit", env: { ...process.env, FORCE_COLOR: "0" } },
);
// The plain closing line CI reads, taken from the runner's own TAP summary.
const tap = existsSync(tapFile) ? readFileSync(tapFile, "utf8") : "";
rmSync(tapFile, { force: true });
const count = (key) => Number(tap.match(new RegExp(`^# ${key} (\\d+)$`, "m"))?.[1] ?? 0);
const passed = count("pass");
const failed = count("fail") + count("cancelled");
console.log(`${passed} passed, ${failed} failed${count("skipped") ? `, ${count("skipped")} skipped` : ""}`);
process.exit(result.status ?? 1);
