// connect_error and disconnect carry what a user can act on (issue 17.3): the HTTP status and the server's own
// message of a refused handshake, the wait a server limit asks for, the maxPayload limit of a Volley server, and
// a polling request's timeout (requestTimeout, on injected timers). Real servers: socket.io 4.8 and volley.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { EngineClient, type EngineClientError } from "@volley/engine/client";
import { Server } from "volley";
import { type ClientError, io } from "../src/index.js";
import { ManualClock } from "../../engine/test/manual-clock.js";
import { cleanup, next, startSocketIo } from "./helpers.js";

after(cleanup);

async function volley(opts: ConstructorParameters<typeof Server>[1] = {}) {
  const http = createServer();
  const server = new Server(http, { serveClient: false, ...opts });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return { server, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

describe("connect_error says what happened", () => {
  for (const transport of ["polling", "websocket"] as const) {
    test(`${transport}: a handshake refused by allowRequest names the status and the server's message`, async () => {
      const server = await startSocketIo({ allowRequest: (_req, cb) => cb("go away", false) });
      const socket = io(server.url, { forceNew: true, transports: [transport], reconnection: false });
      const [err] = await next<[EngineClientError]>(socket, "connect_error");
      socket.disconnect();
      assert.equal(err.type, "TransportError");
      // engine.io refuses a poll with 403 and JSON, an upgrade with 400 and the message as text.
      if (transport === "polling") {
        assert.equal(err.description, 403);
        assert.deepEqual(err.context, { code: 4, message: "go away" });
        assert.equal(err.message, "poll error 403 go away");
      } else {
        assert.equal(err.description, 400);
        assert.equal(err.context, "go away");
        assert.equal(err.message, "websocket error 400 go away");
      }
    });

    test(`${transport}: a volley connection cap refuses with 429 and the wait it asks for`, async () => {
      const { server, url } = await volley({
        maxConnectionsPerAddress: 1,
        exemptAddresses: [],
        connectionRetryAfter: 7000,
      });
      const first = io(url, { forceNew: true, transports: [transport] });
      try {
        await next(first, "connect");
        const second = io(url, { forceNew: true, transports: [transport], reconnection: false });
        const [err] = await next<[EngineClientError]>(second, "connect_error");
        second.disconnect();
        assert.equal(err.description, 429);
        assert.equal(err.retryAfter, 7000);
        assert.match(
          err.message,
          /^(poll|websocket) error 429 too many connections from this address \(maxConnectionsPerAddress: 1\)$/,
        );
      } finally {
        first.disconnect();
        await server.close();
      }
    });
  }

  test("a server middleware's refusal keeps its message and data", async () => {
    const { server, url } = await volley();
    server.use((_socket, nextFn) => {
      const err = new Error("token expired") as Error & { data: unknown };
      err.data = { renew: true };
      nextFn(err);
    });
    const socket = io(url, { forceNew: true });
    const [err] = await next<[ClientError]>(socket, "connect_error");
    socket.disconnect();
    await server.close();
    assert.equal(err.code, "CONNECT_ERROR");
    assert.equal(err.message, "token expired");
    assert.deepEqual(err.data, { renew: true });
    assert.equal(socket.active, false, "a refusal is final until connect()");
  });

  test("maxPayload from a volley server's handshake: too large an emit fails at once, the session stays", async () => {
    const { server, url } = await volley({ maxHttpBufferSize: 5000 });
    server.on("connection", (s) => s.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v)));
    const socket = io(url, { forceNew: true, transports: ["polling"] });
    try {
      await next(socket, "connect");
      assert.equal(socket.io.engine.maxPayload, 5000);
      const err = await socket.emitWithAck("echo", new Uint8Array(4000)).catch((e: ClientError) => e);
      // 4000 bytes travel as 5336 base64 characters over polling: over the limit.
      assert.deepEqual((err as ClientError).data, { size: 5337, maxPayload: 5000 });
      assert.equal((err as ClientError).message, "payload too large: 5337 > 5000 bytes");
      assert.equal(await socket.emitWithAck("echo", "small"), "small");
    } finally {
      socket.disconnect();
      await server.close();
    }
  });
});

describe("too large when flushed, and a lost polling session", () => {
  test("an emit buffered before connect and too large on flush: the Manager's error, the socket stays", async () => {
    const { server, url } = await volley({ maxHttpBufferSize: 1000 });
    const received: unknown[] = [];
    server.on("connection", (s) => {
      s.onAny((event: string) => received.push(event));
      s.on("flush", (ack: () => void) => ack());
    });
    const socket = io(url, { forceNew: true, autoConnect: false, transports: ["websocket"] });
    try {
      socket.emit("big", "x".repeat(5000));
      socket.emit("small", 1);
      const managerError = next<[ClientError]>(socket.io, "error");
      const connectErrors: unknown[] = [];
      socket.on("connect_error", (err) => connectErrors.push(err));
      socket.connect();
      const [err] = await managerError;
      assert.equal(err.code, "PAYLOAD_TOO_LARGE");
      // `4` (engine message) + `2["big","` + 5000 × `x` + `"]`.
      assert.deepEqual(err.data, { size: 5012, maxPayload: 1000 });
      await socket.emitWithAck("flush");
      assert.equal(socket.connected, true);
      assert.deepEqual(connectErrors, []);
      assert.deepEqual(received, ["small", "flush"]);
    } finally {
      socket.disconnect();
      await server.close();
    }
  });

  test("a poll refused with 400 Session ID unknown closes the engine with that reason", async () => {
    // A raw server: the handshake answers; the next poll is refused as engine.io refuses an unknown sid.
    const http = createServer((req, res) => {
      if (req.url!.includes("sid=")) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: 1, message: "Session ID unknown" }));
        return;
      }
      res.end(`0${JSON.stringify({ sid: "s1", upgrades: [], pingInterval: 60_000, pingTimeout: 60_000 })}`);
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const engine = new EngineClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
      transports: ["polling"],
    });
    try {
      const [reason, error] = await new Promise<[string, EngineClientError]>((resolve) =>
        engine.once("close", (r, e) => resolve([r, e as EngineClientError])),
      );
      assert.equal(reason, "transport error");
      assert.equal(error.description, 400);
      assert.deepEqual(error.context, { code: 1, message: "Session ID unknown" });
      assert.equal(error.message, "poll error 400 Session ID unknown");
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

describe("requestTimeout (polling)", () => {
  test("a poll the server holds past requestTimeout fails as POLL_ERROR timeout", async () => {
    // A raw server: the handshake answers; the next poll is never answered.
    const held: Array<() => void> = [];
    const http = createServer((req, res) => {
      if (req.url!.includes("sid=")) {
        held.push(() => res.destroy());
        return;
      }
      res.end(`0${JSON.stringify({ sid: "s1", upgrades: [], pingInterval: 60_000, pingTimeout: 60_000 })}`);
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const timers = new ManualClock();
    const engine = new EngineClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
      transports: ["polling"],
      requestTimeout: 5000,
      timers,
    });
    try {
      await once(engine, "open");
      // The poll is in flight once the server holds it.
      while (held.length === 0) await new Promise((resolve) => http.once("request", resolve));
      // (Not events.once: it rejects on the `error` event that precedes `close`.)
      const closed = new Promise((resolve) => engine.once("close", (...args) => resolve(args)));
      timers.advance(4999);
      assert.equal(engine.readyState, "open");
      timers.advance(1);
      const [reason, error] = (await closed) as [string, EngineClientError];
      assert.equal(reason, "transport error");
      assert.equal(error.code, "POLL_ERROR");
      assert.equal(error.description, "timeout");
      assert.equal(error.message, "poll error timeout");
    } finally {
      for (const release of held) release();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
