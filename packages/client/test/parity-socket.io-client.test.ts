// Behaviour parity with the official socket.io-client 4.8 (issue 15): each scenario runs twice against the same
// real server, once with socket.io-client and once with ours, and the observable traces (events in order,
// reasons, flags, what the server received) must be equal. Every scenario runs on socket.io 4.8 and on volley.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, describe, test } from "node:test";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServerOptions, Socket as ServerSocket } from "socket.io";
import { io as officialIo } from "socket.io-client";
import { Server as VolleyServer } from "volley";
import { io } from "../src/index.js";
import { cleanup, next, startSocketIo, WebSocketImpl } from "./helpers.js";

after(cleanup);

/** What both clients share for these scenarios (the parts of the API the traces use). */
interface AnyClient {
  id: string | undefined;
  connected: boolean;
  active: boolean;
  recovered: boolean;
  io: {
    on(event: string, listener: (...args: never[]) => void): unknown;
    engine: { close(): unknown };
  };
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  onAnyOutgoing(listener: (...args: unknown[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  emitWithAck(event: string, ...args: unknown[]): Promise<unknown>;
  timeout(ms: number): AnyClient;
  get volatile(): AnyClient;
  connect(): unknown;
  disconnect(): unknown;
}

type Factory = (url: string, opts?: Record<string, unknown>) => AnyClient;

const clients: Array<[string, Factory]> = [
  ["socket.io-client", (url, opts) => officialIo(url, { forceNew: true, ...opts }) as unknown as AnyClient],
  [
    "@volley/client",
    (url, opts) => io(url, { forceNew: true, WebSocket: WebSocketImpl, ...opts }) as unknown as AnyClient,
  ],
];

/** Runs `scenario` with each client; returns the traces by client name, the official one first. */
async function traces<T>(scenario: (make: Factory) => Promise<T>): Promise<[T, T]> {
  const out: T[] = [];
  for (const [, make] of clients) {
    const opened: AnyClient[] = [];
    try {
      out.push(
        await scenario((url, opts) => {
          const client = make(url, opts);
          opened.push(client);
          return client;
        }),
      );
    } finally {
      for (const client of opened) client.disconnect();
    }
  }
  return out as [T, T];
}

const fast = { reconnectionDelay: 5, reconnectionDelayMax: 5, randomizationFactor: 0 };

/** The server side the scenarios use: socket.io's API, which volley's Server shares. */
interface Harness {
  url: string;
  io: ServerSocketServer;
}
// biome-ignore lint/suspicious/noExplicitAny: both servers, through the API they share.
type ServerSocketServer = any;

async function startVolley(opts: Partial<ServerOptions> = {}): Promise<Harness> {
  const http = createHttpServer();
  const server = new VolleyServer(http, { serveClient: false, ...(opts as object) });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  after(async () => {
    http.closeAllConnections();
    await server.close();
  });
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, io: server };
}

const servers: Array<[string, (opts?: Partial<ServerOptions>) => Promise<Harness>]> = [
  ["socket.io 4.8", startSocketIo],
  ["volley", startVolley],
];

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

for (const [serverName, startServer] of servers)
  describe(`parity with socket.io-client 4.8, on ${serverName}`, () => {
    test("reconnection events against a dead server: order, attempt numbers, reconnect_failed, active", async () => {
      const url = `http://127.0.0.1:${await deadPort()}`;
      const [official, ours] = await traces(async (make) => {
        const events: string[] = [];
        const socket = make(url, { ...fast, reconnectionAttempts: 2, transports: ["polling"] });
        socket.on("connect_error", () => events.push("connect_error"));
        socket.io.on("reconnect_attempt", (n: number) => events.push(`reconnect_attempt ${n}`));
        socket.io.on("reconnect_error", () => events.push("reconnect_error"));
        socket.io.on("error", () => events.push("error"));
        await next(socket.io as never, "reconnect_failed");
        events.push("reconnect_failed");
        // The last reconnect_error follows reconnect_failed in the same turn.
        await Promise.resolve();
        return { events, active: socket.active, connected: socket.connected };
      });
      assert.deepEqual(ours, official);
    });

    test("middleware refusal: connect_error message and data, the socket stops; connect() tries again", async () => {
      const server = await startServer();
      let refuse = true;
      server.io.use((_socket: ServerSocket, nextFn: (err?: Error) => void) => {
        if (!refuse) return nextFn();
        const err = new Error("not authorized") as Error & { data: unknown };
        err.data = { retry: false };
        nextFn(err);
      });
      const [official, ours] = await traces(async (make) => {
        refuse = true;
        const socket = make(server.url, fast);
        const [err] = await next<[Error & { data?: unknown }]>(socket as never, "connect_error");
        const refused = { message: err.message, data: err.data, active: socket.active };
        refuse = false;
        socket.connect();
        await next(socket as never, "connect");
        return { refused, afterRetry: { active: socket.active, connected: socket.connected } };
      });
      assert.deepEqual(ours, official);
      assert.deepEqual(ours.refused, { message: "not authorized", data: { retry: false }, active: false });
    });

    test("disconnect reasons and details: server disconnect, transport close, client disconnect", async () => {
      const server = await startServer();
      let latest: ServerSocket | undefined;
      server.io.on("connection", (s: ServerSocket) => {
        latest = s;
      });
      const [official, ours] = await traces(async (make) => {
        const trace: unknown[] = [];
        const socket = make(server.url, { ...fast, transports: ["websocket"] });
        socket.io.on("reconnect_attempt", (n: number) => trace.push(["reconnect_attempt", n]));
        socket.io.on("reconnect", (n: number) => trace.push(["reconnect", n]));
        socket.on("disconnect", (reason: string, details?: { description?: string }) =>
          trace.push(["disconnect", reason, typeof details, details?.description, socket.active, socket.id]),
        );
        await next(socket as never, "connect");
        // The server drops the transport: reconnects by itself.
        latest!.conn.close();
        await next(socket as never, "connect");
        trace.push(["connected again", socket.connected]);
        // The server disconnects the socket: no reconnection until connect().
        const gone = next(socket as never, "disconnect");
        latest!.disconnect();
        await gone;
        socket.connect();
        await next(socket as never, "connect");
        socket.disconnect();
        return trace;
      });
      assert.deepEqual(ours, official);
      assert.deepEqual(
        ours.map((entry) => (entry as unknown[])[0]),
        ["disconnect", "reconnect_attempt", "reconnect", "connected again", "disconnect", "disconnect"],
      );
    });

    test("buffering before connect: plain emits and acks are sent in order on connect, volatile ones dropped", async () => {
      const server = await startServer();
      let received: unknown[] = [];
      server.io.on("connection", (s: ServerSocket) => {
        s.onAny((...args: unknown[]) => {
          const ack = args.at(-1);
          if (typeof ack === "function") {
            args.pop();
            ack("acked");
          }
          received.push(args);
        });
      });
      const [official, ours] = await traces(async (make) => {
        received = [];
        const socket = make(server.url, { autoConnect: false });
        const outgoing: unknown[] = [];
        socket.onAnyOutgoing((...args) => outgoing.push(args[0]));
        socket.emit("first", 1);
        socket.volatile.emit("volatile", 2);
        const answer = socket.emitWithAck("with-ack", 3);
        socket.emit("last", 4);
        socket.connect();
        const value = await answer;
        await socket.emitWithAck("flush", 5);
        return { received, outgoing, value };
      });
      assert.deepEqual(ours, official);
    });

    test("emitWithAck without a timeout rejects when the socket disconnects first", async () => {
      const server = await startServer();
      let latest: ServerSocket | undefined;
      server.io.on("connection", (s: ServerSocket) => {
        latest = s;
      });
      const [official, ours] = await traces(async (make) => {
        const socket = make(server.url, { ...fast, reconnection: false });
        await next(socket as never, "connect");
        const pending = socket.emitWithAck("never-answered", 1).then(
          (value) => ({ value }),
          (err: Error) => ({ error: err.message }),
        );
        latest!.conn.close();
        return pending;
      });
      assert.deepEqual(ours, official);
      assert.deepEqual(ours, { error: "socket has been disconnected" });
    });

    test("retries: 0 is no queue: a plain ack gets the server's value only", async () => {
      const server = await startServer();
      server.io.on("connection", (s: ServerSocket) =>
        s.on("ask", (ack: (v: string) => void) => ack("answer")),
      );
      const [official, ours] = await traces(async (make) => {
        const socket = make(server.url, { retries: 0 });
        return new Promise((resolve) => socket.emit("ask", (...args: unknown[]) => resolve(args)));
      });
      assert.deepEqual(ours, official);
      assert.deepEqual(ours, ["answer"]);
    });

    test("retries: the queue sends before connect listeners run", async () => {
      const server = await startServer();
      server.io.on("connection", (s: ServerSocket) =>
        s.on("queued", (ack: (v: string) => void) => ack("ok")),
      );
      const [official, ours] = await traces(async (make) => {
        const order: string[] = [];
        const socket = make(server.url, { autoConnect: false, retries: 2, ackTimeout: 60_000 });
        socket.onAnyOutgoing((event) => order.push(`sent ${event}`));
        socket.on("connect", () => order.push("connect"));
        const acked = new Promise((resolve) => socket.emit("queued", (...args: unknown[]) => resolve(args)));
        socket.connect();
        return { order, ack: await acked };
      });
      assert.deepEqual(ours, official);
      assert.deepEqual(ours, { order: ["sent queued", "connect"], ack: [null, "ok"] });
    });

    test("connection-state recovery: recovered, same id, missed events delivered", async () => {
      const server = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 60_000 } });
      let latest: ServerSocket | undefined;
      server.io.on("connection", (s: ServerSocket) => {
        latest = s;
        s.join("room");
      });
      const [official, ours] = await traces(async (make) => {
        const socket = make(server.url, { ...fast, transports: ["websocket"] });
        await next(socket as never, "connect");
        const firstId = socket.id;
        const firstRecovered = socket.recovered;
        // An event first: the client resumes from the offset of the last event it saw.
        const live = next<[string]>(socket as never, "news");
        server.io.to("room").emit("news", "before");
        await live;
        const missed = next<[string]>(socket as never, "news");
        const dropped = next(socket as never, "disconnect");
        latest!.conn.close();
        await dropped;
        server.io.to("room").emit("news", "while away");
        await next(socket as never, "connect");
        const [news] = await missed;
        return { firstRecovered, recovered: socket.recovered, sameId: socket.id === firstId, news };
      });
      assert.deepEqual(ours, official);
      assert.deepEqual(ours, { firstRecovered: false, recovered: true, sameId: true, news: "while away" });
    });
  });
