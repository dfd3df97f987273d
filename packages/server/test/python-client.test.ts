// The official Python client (python-socketio 5, Debian's python3-socketio, run by Debian's /usr/bin/python3)
// against a Volley server, on each transport: namespaces with auth, events both ways, acks both ways, binary.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Socket } from "volley";
import { type Harness, setup } from "./helpers.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./fixtures/python-client.py", import.meta.url));

interface Seen {
  sid: string;
  transport: string;
  welcome: string;
  chat_welcome: string;
  ack: string;
  chat_ack: string;
  server_ack: number;
  binary: number[];
}

function runPython(url: string, transports: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, url, transports], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`python client failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").pop()!) as Seen);
    });
  });
}

describe("python-socketio client", { skip: !existsSync(PYTHON) && "no /usr/bin/python3" }, () => {
  let h: Harness;
  const ids: string[] = [];
  before(async () => {
    h = await setup({}, "websocket");
    h.io.on("connection", (socket: Socket) => {
      ids.push(socket.id);
      socket.emit("welcome", `hi ${(socket.handshake.auth as { token?: string }).token}`);
      socket.on("hello", (data: { name: string }, ack: (reply: string) => void) => ack(`hello ${data.name}`));
      socket.on("ask-me", async (ack: (sum: unknown) => void) => ack(await socket.emitWithAck("ask", 2, 3)));
      socket.on("bytes", (data: Buffer) => socket.emit("bytes", Buffer.from(data.map((b) => b + 10))));
    });
    h.io.of("/chat").on("connection", (socket: Socket) => {
      socket.emit("welcome", "chat");
      socket.on("hello", (data: { name: string }, ack: (reply: string) => void) => ack(`chat ${data.name}`));
    });
  });
  after(() => h.cleanup());

  for (const [label, transports, expected] of [
    ["polling", "polling", "polling"],
    ["websocket", "websocket", "websocket"],
    ["polling then upgrade", "polling,websocket", "websocket"],
  ] as const) {
    test(label, async () => {
      const seen = await runPython(h.url, transports);
      assert.ok(ids.includes(seen.sid), "the server's socket id");
      assert.equal(seen.transport, expected);
      assert.equal(seen.welcome, "hi py");
      assert.equal(seen.chat_welcome, "chat");
      assert.equal(seen.ack, "hello python");
      assert.equal(seen.chat_ack, "chat chat");
      assert.equal(seen.server_ack, 5);
      assert.deepEqual(seen.binary, [11, 12, 13]);
    });
  }
});
