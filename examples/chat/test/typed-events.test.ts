// The typed-events example compiles, and the same event maps reject wrong payloads.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const exampleRoot = fileURLToPath(new URL("../", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

function runTsc(project: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, "--noEmit", "--pretty", "false", "-p", project], {
      cwd: exampleRoot,
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** Diagnostics in this example's own files (paths relative to it; the libraries' sources start with `../`). */
function ownErrors(output: string): { file: string; line: number }[] {
  return [...output.matchAll(/^([^\s(][^(]*)\((\d+),\d+\): error TS\d+/gm)]
    .filter((m) => !m[1]!.startsWith("../"))
    .map((m) => ({ file: m[1]!, line: Number(m[2]) }));
}

// One compiler run covers both tests: the fixture imports the example, so the program holds both files.
const misuseRun = runTsc("test/fixtures/tsconfig.misuse.json");
const example = "src/typed-events.ts";
const fixture = "test/fixtures/typed-events-misuse.ts";

test("src/typed-events.ts compiles (its @ts-expect-error line is a real error)", async () => {
  const { output } = await misuseRun;
  // Only the example's files count: each library's sources are type-checked by its own package.
  assert.ok(output.includes(fixture), `the program did not reach the fixture:\n${output}`);
  assert.deepEqual(
    ownErrors(output).filter((error) => error.file === example),
    [],
    output,
  );
});

test("wrong payloads, events and handlers fail to compile, each on its own line", async () => {
  const source = await readFile(`${exampleRoot}${fixture}`, "utf8");
  const expected = source.split("\n").flatMap((line, index) => (/;\s*\/\/ ✗/.test(line) ? [index + 1] : []));
  assert.ok(expected.length >= 5);

  const { code, output } = await misuseRun;
  assert.notEqual(code, 0);
  const errors = ownErrors(output);
  assert.ok(
    errors.every((error) => error.file === fixture),
    output,
  );
  assert.deepEqual(
    [...new Set(errors.map((error) => error.line))].sort((a, b) => a - b),
    expected,
    output,
  );
});
