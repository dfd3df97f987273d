// Close hints (issue 17, item 3): a Volley server says why it closes a connection (an Engine.IO noop
// `6{"reason","message","reconnectAfter"}`) and the Volley client hands that over: `engine.hint`, and `hint` on
// the `disconnect` description, whose reason stays socket.io-client's. The advised delay holds the next
// reconnection attempt. A polling client cut off between two polls gets the hint on its next poll (the
// engine's `owedCloseHints`); socket.io-client sees a normal close there. Real Volley servers; client timers
// injected, the server's clock frozen or moved by hand.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import type { Clock } from "@volley/engine";
import type { EngineClientError } from "@volley/engine/client";
import { io as officialIo } from "socket.io-client";
import { Server, type ServerOptions, type Socket as ServerSocket } from "volley";
import { ManualClock } from "../../engine/test/manual-clock.js";
import { type CloseHint, type DisconnectDescription, io, type Socket } from "../src/index.js";

/** The server's clock, stopped: rates, heartbeats and close timers never move on their own. */
const frozen: Clock = { now: () => 0, setTimeout: () => undefined, clearTimeout: () => {} };

async function volley(opts: ServerOptions = {}) {
  const http = createServer();
  const server = new Server(http, { serveClient: false, clock: frozen, ...opts });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { server, url, close: () => server.close() };
}

/** A connected client and its socket on the server. */
async function connect(
  server: Server,
  url: string,
  opts: Parameters<typeof io>[1],
): Promise<[Socket, ServerSocket]> {
  const joined = once(server, "connection") as Promise<[ServerSocket]>;
  const socket = io(url, { forceNew: true, ...opts });
  const [[serverSocket]] = await Promise.all([joined, once(socket, "connect")]);
  return [socket, serverSocket];
}

function disconnectOf(socket: Socket): Promise<[string, DisconnectDescription | undefined]> {
  return new Promise((resolve) =>
    socket.once("disconnect", (reason, description) => resolve([reason, description])),
  );
}

/** Until the server's polling transport holds the client's GET (a write goes out at once). */
async function pollWaiting(socket: ServerSocket): Promise<void> {
  for (let i = 0; i < 1000 && !socket.conn.transport.writable; i++)
    await new Promise((r) => setTimeout(r, 1));
  assert.ok(socket.conn.transport.writable, "the client's poll is waiting");
}

const CLOSED_BY = { polling: "transport closed by the server", websocket: "websocket connection closed" };

describe("close hints reach the disconnect description", () => {
  for (const transport of ["polling", "websocket"] as const) {
    test(`${transport}: event rate exceeded, and the next attempt waits the advised delay`, async () => {
      const { server, url, close } = await volley({
        eventRateLimit: { rate: 1, burst: 2, reconnectAfter: 3000 },
      });
      server.on("connection", (s) => s.on("error", () => {}));
      const timers = new ManualClock();
      const [socket] = await connect(server, url, {
        transports: [transport],
        timers,
        reconnectionDelay: 1000,
        randomizationFactor: 0,
      });
      try {
        const attempts: number[] = [];
        socket.io.on("reconnect_attempt", () => attempts.push(timers.now()));
        const gone = disconnectOf(socket);
        for (let i = 0; i < 3; i++) socket.emit("spam");
        const [reason, description] = await gone;
        const hint: CloseHint = {
          reason: "event rate exceeded",
          message: "incoming events exceed eventRateLimit (1/s, burst 2)",
          reconnectAfter: 3000,
        };
        assert.equal(reason, "transport close", "socket.io-client's reason: reconnection follows");
        assert.equal((description as { description: string }).description, CLOSED_BY[transport]);
        assert.deepEqual(description?.hint, hint);
        assert.deepEqual(socket.io.engine.hint, hint);
        timers.advance(2999);
        assert.deepEqual(attempts, [], "not before the advised 3000 ms (the backoff alone says 1000)");
        timers.advance(1);
        assert.deepEqual(attempts, [3000]);
      } finally {
        socket.disconnect();
        await close();
      }
    });

    test(`${transport}: a slow consumer is told so (websocket: close 1008 "slow consumer")`, async () => {
      const { server, url, close } = await volley({ maxBufferedBytes: 10_000 });
      const [socket, serverSocket] = await connect(server, url, {
        transports: [transport],
        reconnection: false,
      });
      try {
        const gone = disconnectOf(socket);
        if (transport === "polling") await pollWaiting(serverSocket);
        serverSocket.emit("big", "x".repeat(20_000));
        const [reason, description] = await gone;
        assert.equal(reason, "transport close");
        assert.deepEqual(description?.hint, {
          reason: "slow consumer",
          message: "outgoing buffer exceeds maxBufferedBytes (10000 bytes)",
        });
        if (transport === "websocket") {
          const event = (description as { context: { code: number; reason: string } }).context;
          assert.deepEqual([event.code, event.reason], [1008, "slow consumer"]);
        }
      } finally {
        socket.disconnect();
        await close();
      }
    });

    test(`${transport}: a malformed packet is named in the hint`, async () => {
      const { server, url, close } = await volley();
      server.on("connection", (s) => s.on("error", () => {}));
      const [socket] = await connect(server, url, { transports: [transport], reconnection: false });
      try {
        const gone = disconnectOf(socket);
        socket.io.engine.write('2["unterminated"');
        const [reason, description] = await gone;
        assert.equal(reason, "transport close");
        assert.equal(description?.hint?.reason, "parse error");
        assert.equal(typeof description?.hint?.message, "string");
      } finally {
        socket.disconnect();
        await close();
      }
    });
  }

  test("graceful shutdown: reason and advised delay", async () => {
    const { server, url } = await volley();
    const [socket] = await connect(server, url, { transports: ["websocket"], reconnection: false });
    const gone = disconnectOf(socket);
    // One batch and no acknowledgement in flight: nothing waits on the (frozen) server clock.
    await server.close({
      graceful: { reconnectWindow: 10_000, random: () => 0.25, batchInterval: 0, ackTimeout: 0 },
    });
    const [reason, description] = await gone;
    assert.equal(reason, "transport close");
    assert.deepEqual(description?.hint, { reason: "server shutting down", reconnectAfter: 2500 });
  });
});

test("a plain io.close(): reason server shutting down, no advised delay", async () => {
  const { server, url } = await volley();
  const [socket, serverSocket] = await connect(server, url, { transports: ["polling"], reconnection: false });
  const gone = disconnectOf(socket);
  // A plain close does not wait for polls: the hint reaches a client whose poll is waiting.
  await pollWaiting(serverSocket);
  await server.close();
  const [reason, description] = await gone;
  assert.equal(reason, "transport close");
  assert.deepEqual(description?.hint, { reason: "server shutting down" });
  assert.equal(socket.io.engine.retryAfter, 0);
});

describe("what needs no hint", () => {
  test("websocket: too large a message (sent around the emit check) is closed 1009, no hint", async () => {
    const { server, url, close } = await volley({ maxHttpBufferSize: 1000 });
    const [socket] = await connect(server, url, { transports: ["websocket"], reconnection: false });
    try {
      const gone = disconnectOf(socket);
      socket.io.engine.write(`2${JSON.stringify(["big", "x".repeat(2000)])}`);
      const [reason, description] = await gone;
      assert.equal(reason, "transport close");
      assert.equal((description as { context: { code: number } }).context.code, 1009);
      assert.equal(description?.hint, undefined);
    } finally {
      socket.disconnect();
      await close();
    }
  });

  test("polling: too large a body is refused 413 with the limit in the answer", async () => {
    const { server, url, close } = await volley({ maxHttpBufferSize: 1000 });
    const [socket] = await connect(server, url, { transports: ["polling"], reconnection: false });
    try {
      const gone = disconnectOf(socket);
      socket.io.engine.write(`2${JSON.stringify(["big", "x".repeat(2000)])}`);
      const [reason, description] = await gone;
      const error = description as EngineClientError;
      assert.equal(reason, "transport error");
      assert.equal(error.code, "POST_ERROR");
      assert.equal(error.description, 413);
      assert.equal(
        (error.context as { message: string }).message,
        "payload exceeds maxHttpBufferSize (1000 bytes)",
      );
      assert.equal(error.hint, undefined);
    } finally {
      socket.disconnect();
      await close();
    }
  });

  test("the bare noops of an upgrade leave no hint; a client's own disconnect carries none", async () => {
    const { server, url, close } = await volley();
    const [socket] = await connect(server, url, {
      transports: ["polling", "websocket"],
      reconnection: false,
    });
    try {
      if (socket.io.engine.transport.name !== "websocket") await once(socket.io.engine, "upgrade");
      assert.equal(socket.io.engine.hint, undefined);
      const gone = disconnectOf(socket);
      socket.disconnect();
      assert.deepEqual(await gone, ["io client disconnect", undefined]);
    } finally {
      await close();
    }
  });
});

/**
 * Holds the polls (GETs naming a sid) of `server`'s clients while `hold` is set, as a client between two
 * polls (a slow network, a throttled tab); a parked one goes on when called.
 */
function pollGate(server: Server) {
  const gate = { hold: false, parked: [] as Array<() => void> };
  server.engine.use((req, _res, next) => {
    if (gate.hold && req.method === "GET" && req.url?.includes("sid=")) gate.parked.push(() => next());
    else next();
  });
  return gate;
}

/** Turns of the event loop until `condition` holds (bounded). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(condition(), "condition never met");
}

describe("polling: closed while the client was between polls (the hint is owed to its next poll)", () => {
  const CLOSE_TIMEOUT = 1000;

  /**
   * A polling-only client, between polls when the server cuts it off for its event rate; the server's
   * `closeTimeout` passes with no poll, so the session is gone before the client polls again.
   */
  async function cutOffBetweenPolls(
    client: (url: string) => { socket: { emit(event: string): unknown }; connected: Promise<unknown> },
    opts: ServerOptions = {},
  ) {
    const clock = new ManualClock();
    const { server, url, close } = await volley({
      clock,
      closeTimeout: CLOSE_TIMEOUT,
      eventRateLimit: { rate: 1, burst: 2, reconnectAfter: 3000 },
      ...opts,
    });
    server.on("connection", (s) => s.on("error", () => {}));
    const gate = pollGate(server);
    const joined = once(server, "connection") as Promise<[ServerSocket]>;
    const { socket, connected } = client(url);
    const [[serverSocket]] = await Promise.all([joined, connected]);
    // The waiting poll is answered; the next one is held: the client is between polls.
    await pollWaiting(serverSocket);
    gate.hold = true;
    serverSocket.emit("nudge");
    await until(() => gate.parked.length === 1);
    const cut = new Promise<string>((resolve) => serverSocket.once("disconnect", resolve));
    for (let i = 0; i < 3; i++) socket.emit("spam");
    // Cut off, the session waits closeTimeout for a poll that does not come.
    await until(() => serverSocket.conn.readyState === "closing");
    clock.advance(CLOSE_TIMEOUT);
    assert.equal(await cut, "event rate exceeded");
    gate.hold = false;
    gate.parked.shift()!();
    return { close };
  }

  test("the Volley client: the disconnect carries the hint, and the next attempt waits the advised delay", async () => {
    const timers = new ManualClock();
    let socket: Socket | undefined;
    let gone: Promise<[string, DisconnectDescription | undefined]> | undefined;
    const { close } = await cutOffBetweenPolls((url) => {
      socket = io(url, {
        forceNew: true,
        transports: ["polling"],
        timers,
        reconnectionDelay: 1000,
        randomizationFactor: 0,
      });
      gone = disconnectOf(socket);
      return { socket, connected: once(socket, "connect") };
    });
    try {
      const attempts: number[] = [];
      socket!.io.on("reconnect_attempt", () => attempts.push(timers.now()));
      const [reason, description] = await gone!;
      assert.equal(reason, "transport close");
      assert.equal((description as { description: string }).description, "transport closed by the server");
      assert.deepEqual(description?.hint, {
        reason: "event rate exceeded",
        message: "incoming events exceed eventRateLimit (1/s, burst 2)",
        reconnectAfter: 3000,
      });
      timers.advance(2999);
      assert.deepEqual(attempts, [], "not before the advised 3000 ms");
      timers.advance(1);
      assert.deepEqual(attempts, [3000]);
    } finally {
      socket!.disconnect();
      await close();
    }
  });

  for (const owed of [true, false]) {
    test(`socket.io-client: ${owed ? "a normal close" : "owedCloseHints off: a transport error (the 400)"}`, async () => {
      let socket: ReturnType<typeof officialIo> | undefined;
      let gone: Promise<unknown[]> | undefined;
      const { close } = await cutOffBetweenPolls(
        (url) => {
          socket = officialIo(url, { forceNew: true, transports: ["polling"], reconnection: false });
          gone = once(socket, "disconnect");
          return { socket, connected: once(socket, "connect") };
        },
        owed ? {} : { owedCloseHints: false },
      );
      try {
        const [reason] = await gone!;
        assert.equal(reason, owed ? "transport close" : "transport error");
      } finally {
        socket!.disconnect();
        await close();
      }
    });
  }
});
