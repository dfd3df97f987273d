// `npm start -- --workers N`: the demo on N node:cluster workers sharing one port; a chat message
// reaches the room's members on every worker (polling clients too: no sticky sessions), SIGTERM
// stops every process with status 0, a bad count is refused.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { io } from "@volley/client";
import { parseWorkers } from "../src/server/cluster.js";
import { type ChatClient, chatClient, nextEvent, whenConnected } from "./helpers/node-client.js";

const main = fileURLToPath(new URL("../src/server/main.ts", import.meta.url));

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["--conditions=volley-source", "--import", "tsx", main, ...args], {
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

test("--workers 2: one port, a message reaches the room on every worker, SIGTERM ends all with 0", async () => {
  const child = start(["--workers", "2"]);
  const done = exited(child);
  const clients: ChatClient[] = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk;
        const match = out.match(/Volley chat on http:\/\/localhost:(\d+) \(2 workers\)/);
        if (match) resolve(Number(match[1]));
      });
      child.once("exit", (code) => reject(new Error(`exited with ${code} before listening: ${out}`)));
    });
    // node:cluster hands connections to the workers in turn: four clients cover both.
    for (let i = 0; i < 4; i++) {
      const client =
        i % 2 === 0
          ? chatClient(port, `ws${i}`)
          : (io(`http://127.0.0.1:${port}`, {
              auth: { name: `poll${i}` },
              reconnection: false,
              transports: ["polling"],
            }) as ChatClient);
      clients.push(client);
      await whenConnected(client);
      const joined = await client.emitWithAck("join room", "general");
      assert.equal(joined.ok, true);
    }
    const heard = clients.slice(1).map((c) => nextEvent(c, "chat message"));
    const sent = await clients[0]!.emitWithAck("chat message", { id: "m1", room: "general", text: "hi all" });
    assert.equal(sent.ok, true);
    for (const message of await Promise.all(heard)) assert.equal(message.text, "hi all");
  } finally {
    for (const c of clients) c.disconnect();
    child.kill("SIGTERM");
  }
  assert.equal(await done, 0);
});

test("--workers and VOLLEY_WORKERS: parsed, and a bad count is refused with status 1", async () => {
  assert.equal(parseWorkers([], undefined), undefined);
  assert.equal(parseWorkers(["--workers", "3"], undefined), 3);
  assert.equal(parseWorkers(["--workers=2"], "4"), 2);
  assert.equal(parseWorkers([], "4"), 4);
  const child = start(["--workers", "many"]);
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk;
  });
  assert.equal(await exited(child), 1);
  assert.match(err, /--workers \(or VOLLEY_WORKERS\) must be an integer from 1 to 1024, got "many"/);
});
