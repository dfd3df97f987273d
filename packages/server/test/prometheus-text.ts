// Reading the Prometheus text format back in tests, and the official linter (`promtool`, Debian
// package `prometheus`) run on it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

/** Every sample of an exposition: `name{labels}` exactly as written → value. */
export function parseExposition(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

export const PROMTOOL = "/usr/bin/promtool";

/** Runs `promtool check metrics` on `text`; fails with its output when it finds a problem. */
export async function promtoolCheck(text: string): Promise<void> {
  const child = spawn(PROMTOOL, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d));
  child.stderr.on("data", (d: Buffer) => (output += d));
  child.stdin.end(text);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  assert.equal(code, 0, `promtool check metrics failed:\n${output}`);
  assert.equal(output.trim(), "", `promtool reported:\n${output}`);
}
