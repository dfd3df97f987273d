// Dynamic namespaces never went away (issue 11, item 2): random names accepted by a parent namespace stayed
// in memory after their clients left. Now an empty child is removed (cleanupEmptyChildNamespaces, default
// true) and live children are capped (maxChildNamespaces, default 1000) with a CONNECT_ERROR beyond.
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { next } from "./helpers.js";
import { serverPerTest } from "./server-per-test.js";
import { RawClient } from "./raw-client.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/heap-server.ts", import.meta.url));

interface HeapServer {
  port: number;
  measure(): Promise<{ heap: number; children: number }>;
  close(): Promise<void>;
}

async function startHeapServer(opts: Record<string, unknown>): Promise<HeapServer> {
  const child: ChildProcess = fork(FIXTURE, [JSON.stringify(opts)], {
    execArgv: ["--expose-gc", "--conditions=volley-source", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [{ port }] = (await once(child, "message")) as [{ port: number }];
  return {
    port,
    async measure() {
      child.send("heap");
      const [reply] = (await once(child, "message")) as [{ heap: number; children: number }];
      return reply;
    },
    async close() {
      child.send("close");
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

/** Joins `name` (CONNECT) and returns the server's answer packet (CONNECT or CONNECT_ERROR). */
async function join(raw: RawClient, name: string): Promise<string> {
  raw.ws.send(`40${name},`);
  return raw.wait((m) => m.startsWith(`40${name},`) || m.startsWith(`44${name},`));
}

/** 20 clients, each joining and leaving `perClient` random names (all alive for the client's whole run). */
async function flood(port: number, perClient: number): Promise<void> {
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      const raw = new RawClient(port);
      await raw.connect();
      for (let i = 0; i < perClient; i++) {
        const name = `/dyn-${Math.random().toString(36).slice(2)}`;
        assert.match(await join(raw, name), /^40/);
        // Leave again, as a client moving between rooms-as-namespaces does.
        raw.ws.send(`41${name},`);
      }
      await raw.close();
    }),
  );
}

const MB = 1024 * 1024;

describe("dynamic namespace flood", () => {
  const testServer = serverPerTest();

  test("10,000 random names from 20 clients: heap after GC back near the baseline", async (t) => {
    const measured: Record<string, number> = {};
    for (const [label, opts] of [
      ["default options", {}],
      ["cleanupEmptyChildNamespaces: false", { cleanupEmptyChildNamespaces: false, maxChildNamespaces: 1e6 }],
    ] as const) {
      const server = await startHeapServer(opts);
      try {
        await flood(server.port, 10); // warm-up: lazy code paths and pools allocated once
        const baseline = await server.measure();
        await flood(server.port, 500);
        const after = await server.measure();
        measured[label] = after.heap - baseline.heap;
        t.diagnostic(
          `${label}: heap ${(baseline.heap / MB).toFixed(2)} → ${(after.heap / MB).toFixed(2)} MB, ` +
            `${after.children} child namespaces left`,
        );
        if (label === "default options") assert.equal(after.children, 0, "every child removed");
        else assert.equal(after.children, 10_000 + 200);
      } finally {
        await server.close();
      }
    }
    assert.ok(measured["default options"]! < 1 * MB, `grew ${measured["default options"]} bytes`);
    // The same flood without cleanup is what the limit and the cleanup prevent.
    assert.ok(measured["cleanupEmptyChildNamespaces: false"]! > 5 * MB);
  });

  test("past maxChildNamespaces a new name gets CONNECT_ERROR; live names and other clients keep working", async () => {
    const h = await testServer.setup({ maxChildNamespaces: 50 });
    h.io
      .of(/^\/dyn-/)
      .on("connection", (socket) => socket.on("hello", (ack: (v: string) => void) => ack("hi")));
    const good = h.client("/dyn-good");
    await next(good, "connect");

    const attacker = testServer.raw();
    await attacker.connect();
    for (let i = 0; i < 49; i++) assert.match(await join(attacker, `/dyn-${i}`), /^40/);
    // The 51st live child is refused with a message naming the limit, many times over: no crash, no growth.
    for (let i = 49; i < 549; i++) {
      const answer = await join(attacker, `/dyn-${i}`);
      assert.equal(
        answer,
        `44/dyn-${i},{"message":"too many dynamic namespaces: maxChildNamespaces (50) reached"}`,
      );
    }
    assert.equal(h.io._childNamespaces.size, 50);
    // Names already alive stay joinable, the other client works.
    assert.match(await join(attacker, "/dyn-good"), /^40/);
    assert.equal(await good.timeout(5_000).emitWithAck("hello"), "hi");
    // The attacker leaves: its children go away, a new name is served again.
    await attacker.close();
    const late = h.client("/dyn-late");
    await next(late, "connect");
    assert.equal(h.io._childNamespaces.size, 2);
  });

  test("a refused join (middleware) and a client leaving mid-join leave no child behind", async () => {
    const h = await testServer.setup();
    const parent = h.io.of(/^\/dyn-/);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    parent.use((socket, next) => {
      if (socket.handshake.auth.token === "slow") released.then(() => next());
      else next(new Error("refused"));
    });
    const refused = h.client("/dyn-refused", { auth: { token: "no" } });
    const [err] = await next<[Error]>(refused, "connect_error");
    assert.equal(err.message, "refused");
    assert.equal(h.io._nsps.has("/dyn-refused"), false);

    const raw = testServer.raw();
    const [session] = await next<[{ once(ev: string, fn: () => void): void }]>(h.io.engine, "connection");
    await raw.wait((m) => m.startsWith("0{"));
    const created = next(h.io.sockets, "new_namespace");
    raw.ws.send('40/dyn-slow,{"token":"slow"}');
    await created;
    assert.equal(h.io._childNamespaces.size, 1, "kept while the join is in progress");
    const closed = next(session, "close");
    await raw.close();
    await closed;
    // The middleware answers after the client left: the child goes.
    release();
    await released;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.io._nsps.has("/dyn-slow"), false);
    assert.equal(h.io._childNamespaces.size, 0);
  });
});
