// `npm start`'s entry: PORT picks the port, logs say where, SIGTERM stops it cleanly, bad PORT is refused.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../src/server/main.ts", import.meta.url));

function start(port: string): ChildProcess {
  return spawn(process.execPath, ["--conditions=volley-source", "--import", "tsx", main], {
    env: { ...process.env, PORT: port },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

test("PORT=0 starts the demo, which serves the page and stops on SIGTERM with status 0", async () => {
  const child = start("0");
  const done = exited(child);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk;
        const match = out.match(/Volley chat on (http:\/\/localhost:\d+)/);
        if (match) resolve(match[1]!);
      });
      child.once("exit", (code) => reject(new Error(`exited with ${code} before listening: ${out}`)));
    });
    const page = await fetch(`${url.replace("localhost", "127.0.0.1")}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Volley chat<\/title>/);
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal(await done, 0);
});

test("a PORT that is not a port number is refused with a clear message and status 1", async () => {
  const child = start("eighty");
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk;
  });
  assert.equal(await exited(child), 1);
  assert.match(err, /PORT must be an integer from 0 to 65535, got "eighty"/);
});
