// Exactly-once within the recovery window (`@volley/client/exactly-once` with a `volley` server): a TCP
// proxy drops the link several times in the middle of 1,000 acknowledged emits each way; every emit is
// processed once, in order per sender, and every acknowledgement arrives once. And the extensions are
// ignored by the official peers: socket.io-client takes the server's `exactlyOnce: true`, the socket.io
// server takes the client's, and both work as before.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { io as officialClient } from "socket.io-client";
import { Server, type Socket as ServerSocket } from "volley";
import { type ClientError, io } from "@volley/client";
import { exactlyOnce } from "@volley/client/exactly-once";
import { cleanup, connect, connected, next, startSocketIo, WebSocketImpl } from "./helpers.js";
import { startTcpProxy } from "./tcp-proxy.js";
import { ManualClock } from "../../engine/test/manual-clock.js";

after(cleanup);

const COUNT = 1000;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function startVolley(options: ConstructorParameters<typeof Server>[1] = {}) {
  const http = createServer();
  const server = new Server(http, {
    connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
    // 1,000 emits in a burst, and repeats after each cut: above the default per-socket rate.
    eventRateLimit: false,
    ...options,
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const port = (http.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      http.closeAllConnections();
      await server.close();
    },
  };
}

/** Resolves once `done()` holds, checked after each call of the returned `check`. */
function whenDone(done: () => boolean): { promise: Promise<void>; check: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, check: () => done() && resolve() };
}

describe("exactly-once across network cuts", () => {
  for (const mode of ["websocket", "polling", "polling with upgrade"] as const) {
    const transports = mode === "polling with upgrade" ? ["polling", "websocket"] : [mode];
    test(`${COUNT} acked emits each way, three cuts mid-stream (${mode})`, {
      timeout: 120_000,
    }, async () => {
      const volley = await startVolley();
      const proxy = await startTcpProxy(volley.port);
      try {
        // Server: processes client emits (some answers later, so repeats also meet running handlers),
        // and sends its own acknowledged stream from the first socket object.
        const processed: number[] = [];
        const serverAcks = new Map<number, unknown[][]>();
        const cutsAt: string[] = [];
        // Which server connection each cut ended: two cuts close together (the server's 300th and 800th
        // emits can arrive in one polling body) end the same one.
        const cutConnections = new Set<number>();
        const cut = (why: string) => {
          cutsAt.push(why);
          cutConnections.add(connections);
          proxy.cut();
        };
        let connections = 0;
        let recoveredSockets = 0;
        const progress = whenDone(() => answers.size === COUNT && serverAcks.size === COUNT);
        volley.server.on("connection", (socket: ServerSocket) => {
          connections++;
          socket.on("c2s", (n: number, ack: (v: number) => void) => {
            processed.push(n);
            if (n % 3 === 0) setImmediate(() => ack(n * 2));
            else ack(n * 2);
            if (processed.length === 300 || processed.length === 800)
              cut(`server processed ${processed.length}`);
          });
          if (socket.recovered) {
            recoveredSockets++;
            return;
          }
          void (async () => {
            for (const i of range(COUNT)) {
              socket.emit("s2c", i, (answer: number) => {
                const list = serverAcks.get(i) ?? [];
                list.push([answer]);
                serverAcks.set(i, list);
                progress.check();
              });
              if (i % 20 === 19) await tick();
            }
          })();
        });

        // Client.
        const socket = connect(proxy.url, { transports });
        const state = exactlyOnce(socket, { storage: false });
        const received: number[] = [];
        socket.on("s2c", (n: number, ack: (v: number) => void) => {
          received.push(n);
          ack(n + 1);
          if (received.length === 500) cut("client processed 500");
        });
        const answers = new Map<number, unknown[][]>();
        const errors: unknown[] = [];
        await connected(socket);
        assert.equal(state.granted, true, "the server granted exactly-once");
        for (const i of range(COUNT)) {
          socket.emit("c2s", i, (answer: number) => {
            const list = answers.get(i) ?? [];
            list.push([answer]);
            answers.set(i, list);
            progress.check();
          });
          if (i % 20 === 19) await tick();
        }
        socket.on("connect_error", (err) => errors.push(err));
        await progress.promise;

        // Which of the first two comes first depends on timing; the server's two are in order.
        assert.deepEqual(cutsAt.toSorted(), [
          "client processed 500",
          "server processed 300",
          "server processed 800",
        ]);
        // Every connection a cut ended was followed by another; a cut while the client is already away
        // has nothing more to end.
        assert.ok(
          connections >= 1 + cutConnections.size && connections >= 2,
          `reconnected after the cuts (${connections} connections, ${cutConnections.size} ended by a cut)`,
        );
        assert.equal(recoveredSockets, connections - 1, "each reconnection recovered the session");
        assert.equal(socket.recovered, true);
        assert.equal(state.granted, true);
        assert.deepEqual(processed, range(COUNT), "client emits: each processed once, in order");
        assert.deepEqual(received, range(COUNT), "server emits: each processed once, in order");
        for (const i of range(COUNT)) {
          assert.deepEqual(answers.get(i), [[i * 2]], `client emit ${i}: one acknowledgement`);
          assert.deepEqual(serverAcks.get(i), [[i + 1]], `server emit ${i}: one acknowledgement`);
        }
        assert.deepEqual(errors, []);
      } finally {
        await proxy.close();
        await volley.close();
      }
    });
  }

  test("emitWithAck over a cut: resolved once with the first processing's answer", async () => {
    const volley = await startVolley();
    const proxy = await startTcpProxy(volley.port);
    try {
      let calls = 0;
      volley.server.on("connection", (socket: ServerSocket) => {
        socket.on("order", (item: string, ack: (v: string) => void) => {
          calls++;
          // The answer is lost with the link: the client must send the emit again, and get this answer.
          proxy.cut();
          ack(`ordered ${item} #${calls}`);
        });
      });
      const socket = connect(proxy.url, { transports: ["websocket"] });
      exactlyOnce(socket, { storage: false });
      await connected(socket);
      assert.equal(await socket.emitWithAck("order", "tea"), "ordered tea #1");
      assert.equal(calls, 1);
    } finally {
      await proxy.close();
      await volley.close();
    }
  });

  test("a session not recovered: emits in flight fail with NOT_RECOVERED, not sent twice", async () => {
    // The recovery window's clock, moved past the window while the client is away.
    let now = 0;
    const volley = await startVolley({
      connectionStateRecovery: { maxDisconnectionDuration: 60_000, now: () => now },
    });
    const proxy = await startTcpProxy(volley.port);
    try {
      let calls = 0;
      volley.server.on("connection", (socket: ServerSocket) => {
        socket.on("slow", () => {
          calls++;
          proxy.cut(); // no answer
        });
        socket.on("disconnect", () => {
          now += 60_001;
        });
      });
      const socket = connect(proxy.url, { transports: ["websocket"] });
      const state = exactlyOnce(socket, { storage: false });
      await connected(socket);
      const err = (await socket.emitWithAck("slow").catch((e: ClientError) => e)) as ClientError;
      assert.equal(err.code, "NOT_RECOVERED");
      assert.equal(socket.recovered, false);
      assert.equal(state.granted, true, "a new session, a new record");
      assert.equal(calls, 1);
    } finally {
      await proxy.close();
      await volley.close();
    }
  });
});

describe("retries (ackTimeout + retries, as socket.io-client)", () => {
  test("a retry keeps its ack id: a slow handler runs once and its answer arrives once", async () => {
    const volley = await startVolley();
    try {
      const timers = new ManualClock();
      let calls = 0;
      let release!: () => void;
      const handled = new Promise<void>((resolve) => {
        volley.server.on("connection", (socket: ServerSocket) => {
          socket.conn.on("packet", (packet: { type: string; data?: unknown }) => {
            if (packet.type === "message" && String(packet.data).startsWith("2"))
              frames.push(String(packet.data));
          });
          socket.on("slow", (n: number, ack: (v: number) => void) => {
            calls++;
            release = () => ack(n * 10);
            resolve();
          });
        });
      });
      const frames: string[] = [];
      const socket = connect(volley.url, { transports: ["websocket"], ackTimeout: 1000, retries: 3, timers });
      exactlyOnce(socket, { storage: false });
      await connected(socket);
      const answer = socket.emitWithAck("slow", 4);
      await handled;
      // Two retries while the handler still runs: repeats of the same id, not new emits.
      for (let attempt = 2; attempt <= 3; attempt++) {
        timers.advance(1000);
        for (let i = 0; frames.length < attempt && i < 10_000; i++) await tick();
      }
      release();
      assert.equal(await answer, 40);
      assert.equal(calls, 1);
      assert.deepEqual(frames, ['20["slow",4]', '20["slow",4]', '20["slow",4]']);
    } finally {
      await volley.close();
    }
  });
});

describe("official peers ignore the extensions", () => {
  test("socket.io-client asking for exactlyOnce gets it in the CONNECT answer and works as before", async () => {
    const volley = await startVolley();
    try {
      volley.server.on("connection", (socket: ServerSocket) => {
        assert.deepEqual(
          socket.handshake.auth,
          { token: "t" },
          "the extension is not the application's auth",
        );
        socket.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v));
        socket.emit("ask", 41, (answer: number) => socket.emit("answered", answer));
      });
      const client = officialClient(volley.url, {
        forceNew: true,
        transports: ["websocket"],
        auth: { token: "t", exactlyOnce: true },
      });
      client.on("ask", (n: number, ack: (v: number) => void) => ack(n + 1));
      const answered = new Promise((resolve) => client.on("answered", resolve));
      try {
        await new Promise<void>((resolve, reject) => {
          client.on("connect", resolve);
          client.on("connect_error", reject);
        });
        assert.equal(await client.emitWithAck("echo", "hi"), "hi");
        assert.equal(await answered, 42);
      } finally {
        client.disconnect();
      }
    } finally {
      await volley.close();
    }
  });

  test("the socket.io server ignores the client's request; the client then behaves as without it", async () => {
    const sio = await startSocketIo({ connectionStateRecovery: { maxDisconnectionDuration: 60_000 } });
    const auths: unknown[] = [];
    sio.io.on("connection", (socket) => {
      auths.push(socket.handshake.auth);
      socket.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v));
      socket.on("hang", () => socket.conn.close());
    });
    const socket = io(sio.url, {
      forceNew: true,
      transports: ["websocket"],
      WebSocket: WebSocketImpl,
      reconnectionDelay: 20,
    });
    const state = exactlyOnce(socket, { storage: false });
    try {
      await connected(socket);
      assert.equal(state.granted, false);
      assert.equal(await socket.emitWithAck("echo", 1), 1);
      // Without a grant, an acknowledgement lost with the connection fails as usual.
      const err = (await socket.emitWithAck("hang").catch((e: ClientError) => e)) as ClientError;
      assert.equal(err.code, "DISCONNECTED");
      await next(socket, "connect");
      assert.equal(await socket.emitWithAck("echo", 2), 2);
      assert.deepEqual(auths[0], { exactlyOnce: true });
    } finally {
      socket.io.disconnect();
    }
  });
});
