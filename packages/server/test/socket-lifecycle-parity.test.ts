// Issue 13 item 9: rooms never outlive a socket that left (or never got in), a direct emit made while a
// recoverable socket is away is replayed, and a client breaking the namespace protocol (second CONNECT,
// packets for a namespace it is not in) has its connection closed — the same scenario is played
// against socket.io 4.8 and Volley, and both must answer alike.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, test } from "node:test";
import { Server as SioServer } from "socket.io";
import { Server, type Socket } from "volley";
import WebSocket from "ws";
import { type Harness, next, setup } from "./helpers.js";

describe("rooms of a socket that left", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  test("join() after disconnect() leaves nothing behind", async () => {
    h = await setup();
    const connected = next<[Socket]>(h.io, "connection");
    const client = h.client();
    await next(client, "connect");
    const [socket] = await connected;
    const left = next(client, "disconnect");
    socket.on("disconnect", () => socket.join("joined-in-disconnect-listener"));
    socket.disconnect();
    socket.join(["joined-after", "another"]);
    await left;
    const rooms = h.io.of("/").adapter.rooms;
    assert.deepEqual([...rooms.keys()], []);
    assert.equal(h.io.of("/").adapter.sids.has(socket.id), false);
  });

  test("join() after the client went away leaves nothing behind", async () => {
    h = await setup();
    const connected = next<[Socket]>(h.io, "connection");
    const client = h.client();
    await next(client, "connect");
    const [socket] = await connected;
    const gone = next(socket, "disconnect");
    client.disconnect();
    await gone;
    socket.join("late");
    assert.equal(h.io.of("/").adapter.rooms.has("late"), false);
  });

  test("rooms joined by a namespace middleware that then refuses are left", async () => {
    h = await setup();
    let refused: Socket | undefined;
    h.io.use((socket, nextFn) => {
      refused = socket as Socket;
      socket.join(["from-middleware", "other"]);
      nextFn(new Error("not allowed"));
    });
    const client = h.client();
    const [err] = await next<[Error]>(client, "connect_error");
    assert.equal(err.message, "not allowed");
    const adapter = h.io.of("/").adapter;
    assert.deepEqual([...adapter.rooms.keys()], []);
    assert.equal(adapter.sids.size, 0);
    refused!.join("after-refusal");
    assert.equal(adapter.rooms.size, 0);
  });

  test("rooms joined by a middleware whose client leaves before it answers are left", async () => {
    h = await setup();
    let release!: () => void;
    const holding = new Promise<void>((resolve) => {
      h!.io.use((socket, nextFn) => {
        socket.join("while-pending");
        release = () => nextFn();
        resolve();
      });
    });
    const client = h.client();
    await holding;
    assert.equal(h.io.of("/").adapter.rooms.has("while-pending"), true);
    const closed = next(client.io.engine, "close");
    client.io.engine.close();
    await closed;
    // The engine reports the close before the middleware answers.
    for (let i = 0; i < 50 && h.io.engine.clientsCount > 0; i++) await new Promise((r) => setImmediate(r));
    release();
    assert.equal(h.io.of("/").adapter.rooms.size, 0);
    assert.equal(h.io.of("/").sockets.size, 0);
  });
});

describe("connection-state recovery: direct emits while away", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  for (const mode of ["websocket", "polling"] as const) {
    test(`socket.emit() during a short disconnection is replayed on recovery (${mode})`, async () => {
      h = await setup({ connectionStateRecovery: { maxDisconnectionDuration: 60_000 } }, mode);
      const first = next<[Socket]>(h.io, "connection");
      const client = h.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
      await next(client, "connect");
      const [socket] = await first;
      const direct: unknown[] = [];
      client.on("direct", (value: unknown) => direct.push(value));
      const got = next(client, "direct");
      socket.emit("direct", 0);
      await got;
      socket.on("disconnect", () => {
        socket.emit("direct", 1);
        socket.emit("direct", 2);
        socket.volatile.emit("direct", "volatile: not kept");
      });
      const second = next<[Socket]>(h.io, "connection");
      client.io.engine.close();
      const [restored] = await second;
      await next(client, "connect");
      assert.equal(client.recovered, true);
      assert.equal(restored.id, socket.id);
      const marker = next(client, "marker");
      restored.emit("marker");
      await marker;
      assert.deepEqual(direct, [0, 1, 2]);
    });
  }
});

/** What a server did with a raw client that broke the protocol. */
interface Outcome {
  /** Messages the client received after its CONNECT was answered. */
  after: string[];
  /** The server socket's disconnect reason. */
  reason: string;
  /** The WebSocket close code the client saw. */
  closeCode: number;
  /** Whether the server sent an Engine.IO close packet ("1") first. */
  closePacket: boolean;
}

type AnyServer = {
  of(name: string): unknown;
  on(ev: "connection", fn: (socket: { on(ev: string, fn: (r: string) => void): void }) => void): unknown;
  close(): unknown;
};

async function play(make: (http: ReturnType<typeof createServer>) => AnyServer, sends: string[]) {
  const http = createServer();
  const io = make(http);
  io.of("/joined-elsewhere");
  const reason = new Promise<string>((resolve) => {
    io.on("connection", (socket) => socket.on("disconnect", resolve));
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const port = (http.address() as AddressInfo).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  const messages: string[] = [];
  let connected!: () => void;
  const connectAnswered = new Promise<void>((resolve) => {
    connected = resolve;
  });
  ws.on("message", (data) => {
    const text = data.toString();
    if (text.startsWith("40{")) connected();
    else if (text.startsWith("0{") || text === "2") return;
    else messages.push(text);
  });
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  await once(ws, "open");
  ws.send("40");
  await connectAnswered;
  for (const message of sends) ws.send(message);
  const outcome: Outcome = {
    closeCode: await closed,
    reason: await reason,
    after: messages,
    closePacket: messages.includes("1"),
  };
  await io.close();
  http.close();
  return outcome;
}

describe("a client that breaks the namespace protocol is cut off, as by socket.io 4.8", () => {
  const cases: Array<[string, string[]]> = [
    ["a second CONNECT to a joined namespace", ["40"]],
    ["an EVENT for a namespace never joined", ['42/joined-elsewhere,["e"]']],
    ["an EVENT for a namespace that does not exist", ['42/nowhere,["e"]']],
    ["an ACK for a namespace never joined", ["43/joined-elsewhere,1[]"]],
    ["a DISCONNECT for a namespace never joined", ["41/joined-elsewhere,"]],
    ["a CONNECT_ERROR sent by the client", ['44{"message":"x"}']],
  ];
  for (const [name, sends] of cases) {
    test(name, async () => {
      const expected = await play((http) => new SioServer(http) as unknown as AnyServer, sends);
      const actual = await play((http) => new Server(http) as unknown as AnyServer, sends);
      assert.equal(expected.reason, "forced close", "socket.io's own answer");
      assert.deepEqual(actual, expected);
    });
  }

  test("a repeated CONNECT still being answered (async middleware) is ignored, not a breach", async () => {
    const http = createServer();
    const io = new Server(http);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      io.use((_socket, nextFn) => {
        release = () => nextFn();
        resolve();
      });
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const ws = new WebSocket(
      `ws://127.0.0.1:${(http.address() as AddressInfo).port}/socket.io/?EIO=4&transport=websocket`,
    );
    const connects: string[] = [];
    const answered = new Promise<void>((resolve) =>
      ws.on("message", (data) => {
        if (data.toString().startsWith("40{")) {
          connects.push(data.toString());
          resolve();
        }
      }),
    );
    await once(ws, "open");
    ws.send("40");
    ws.send("40");
    await held;
    release();
    await answered;
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.equal(io.of("/").sockets.size, 1);
    ws.terminate();
    await io.close();
  });
});
